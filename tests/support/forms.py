"""Django forms as a browser posts them back."""


def as_posted(form) -> dict:
    """The form's current values as a browser submits them unchanged: a ticked box as "on", an
    unticked one and an empty field left out."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data
