from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("company/api-keys/", views.api_keys, name="api_keys"),
    path("company/api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("company/webhooks/", views.webhooks, name="webhooks"),
    path("company/webhooks/<int:pk>/enable/", views.webhook_enable, name="webhook_enable"),
    path("company/webhooks/deliveries/<int:pk>/replay/", views.webhook_replay,
         name="webhook_replay"),
]
