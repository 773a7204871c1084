"""Signing in to the admin of a live server as a browser does: the login form, its CSRF
token and the session cookie, over real HTTP."""
import requests


def admin_sign_in(base_url: str, username: str, password: str, **headers) -> tuple[requests.Session, requests.Response]:
    """(the session, the login form's answer); `response.signed_in` says whether it worked."""
    session = requests.Session()
    session.get(base_url + "/admin/login/", timeout=30)
    response = session.post(
        base_url + "/admin/login/?next=/admin/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": base_url + "/admin/login/", **headers}, timeout=30,
    )
    response.signed_in = response.url == base_url + "/admin/" and "sessionid" in session.cookies
    return session, response
