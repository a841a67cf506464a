"""The bench URLconf: the product's pages plus /bench/baseline/ (bench settings only)."""

from django.urls import path

from b12care.urls import urlpatterns as product_urlpatterns
from bench.benchapp.views import baseline

urlpatterns = [
    path("bench/baseline/", baseline, name="bench_baseline"),
    *product_urlpatterns,
]
