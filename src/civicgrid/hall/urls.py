"""The service centre's pages, at /hall/. Public: the kiosk, the board, the rating pad, booking and tracking (no
personal data on any of them). Staff: the hub, the counter, the applications, the centre's devices, deliveries and
statistics, each restricted to the user's jurisdiction (an object outside it answers 404)."""

from django.urls import path

from civicgrid.hall import views_counter, views_office, views_public

app_name = "hall"
urlpatterns = [
    path("", views_office.hub, name="hub"),
    # public devices: full-screen, unattended, recovering by themselves
    path("kiosk/<str:centre>/", views_public.kiosk, name="kiosk"),
    path("kiosk/<str:centre>/live/", views_public.kiosk_live, name="kiosk_live"),
    path("kiosk/<str:centre>/ticket/", views_public.kiosk_ticket, name="kiosk_ticket"),
    path("kiosk/<str:centre>/check-in/", views_public.kiosk_check_in, name="kiosk_check_in"),
    path("board/<str:centre>/", views_public.board, name="board"),
    path("board/<str:centre>/live/", views_public.board_live, name="board_live"),
    path("pad/<str:pad_key>/", views_public.pad, name="pad"),
    path("pad/<str:pad_key>/live/", views_public.pad_live, name="pad_live"),
    path("pad/<str:pad_key>/rate/", views_public.pad_rate, name="pad_rate"),
    # residents
    path("book/", views_public.book_centres, name="book_centres"),
    path("book/cancel/", views_public.book_cancel, name="book_cancel"),
    path("book/<str:centre>/", views_public.book, name="book"),
    path("book/<str:centre>/slots/", views_public.book_slots, name="book_slots"),
    path("track/", views_public.track_lookup, name="track_lookup"),
    path("track/<str:application_number>/", views_public.track, name="track"),
    # the window clerk's working screen
    path("counter/", views_counter.counter, name="counter"),
    path("counter/queue/", views_counter.counter_queue, name="counter_queue"),
    path("counter/materials/", views_counter.counter_materials, name="counter_materials"),
    path("counter/id-check/", views_counter.id_check, name="id_check"),
    path("counter/sign-in/", views_counter.sign_in, name="sign_in"),
    path("counter/sign-out/", views_counter.sign_out, name="sign_out"),
    path("counter/call-next/", views_counter.call_next, name="call_next"),
    path("counter/accept/", views_counter.accept, name="accept"),
    path("counter/tickets/<int:ticket_id>/call/", views_counter.call_ticket, name="call_ticket"),
    path("counter/tickets/<int:ticket_id>/act/", views_counter.ticket_act, name="ticket_act"),
    # applications: lists, the working page of one, printable documents
    path("applications/", views_office.applications, name="applications"),
    path("applications/go/", views_counter.application_go, name="application_go"),
    path("applications/<str:application_number>/", views_counter.application, name="application"),
    path("applications/<str:application_number>/act/", views_counter.application_act, name="application_act"),
    path("applications/<str:application_number>/reveal/", views_counter.application_reveal, name="application_reveal"),
    path("applications/<str:application_number>/notice/", views_counter.notice_print, name="notice_print"),
    path("applications/<str:application_number>/receipt/", views_counter.receipt_print, name="receipt_print"),
    # the centre's counters and devices (its manager)
    path("centres/<str:centre>/", views_office.centre, name="centre"),
    path(
        "centres/<str:centre>/counters/<int:counter_id>/sign-out/",
        views_office.centre_sign_out,
        name="centre_sign_out",
    ),
    path("centres/<str:centre>/counters/<int:counter_id>/pad-key/", views_office.centre_pad_key, name="centre_pad_key"),
    # deliveries home (the grid worker's phone)
    path("deliveries/", views_office.deliveries, name="deliveries"),
    path("deliveries/<int:delivery_id>/", views_office.delivery, name="delivery"),
    path("deliveries/<int:delivery_id>/deliver/", views_office.delivery_deliver, name="delivery_deliver"),
    path("deliveries/<int:delivery_id>/attempt/", views_office.delivery_attempt, name="delivery_attempt"),
    path("deliveries/<int:delivery_id>/assign/", views_office.delivery_assign, name="delivery_assign"),
    path("deliveries/<int:delivery_id>/reveal/", views_office.delivery_reveal, name="delivery_reveal"),
    # statistics
    path("statistics/", views_office.statistics_page, name="statistics"),
    path("statistics/scores.xlsx", views_office.scores_export, name="scores_export"),
]
