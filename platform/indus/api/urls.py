from rest_framework.routers import DefaultRouter

# Resources register here as the API grows; DefaultRouter serves the browsable root.
router = DefaultRouter()

urlpatterns = router.urls
