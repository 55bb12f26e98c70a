app_name = "gridwork"
urlpatterns: list = []
