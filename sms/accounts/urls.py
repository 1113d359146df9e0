from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("don-vi-lam-viec/", views.switch_unit, name="switch-unit"),
    path("doi-mat-khau/", views.PasswordChangeView.as_view(), name="password-change"),
    path("danh-sach/", views.AccountList.as_view(), name="account-list"),
    path("danh-sach/<int:pk>/", views.AccountDetail.as_view(), name="account-detail"),
    path("danh-sach/<int:pk>/dat-lai-mat-khau/", views.AccountReset.as_view(), name="account-reset"),
    path("nhap/", views.AccountImport.as_view(), name="account-import"),
    path("nhap/mau.xlsx", views.AccountImportTemplate.as_view(), name="account-import-template"),
]
