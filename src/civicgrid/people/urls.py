from django.urls import path

from civicgrid.people import views

app_name = "people"
urlpatterns = [
    path("", views.people_list, name="list"),
    path("new/", views.staff_create, name="create"),
    path("posts/", views.posts, name="posts"),
    path("posts/assign/", views.post_assign, name="post_assign"),
    path("posts/<int:post_id>/end/", views.post_end, name="post_end"),
    path("<str:username>/", views.person_detail, name="detail"),
    path("<str:username>/reveal/", views.reveal_phone, name="reveal"),
]
