"""The names of a site and the addresses of its nodes (plugins/filter/names.py)."""

import pytest
from project import load

names = load("plugins/filter/names.py")


def test_host_names_are_the_exact_names_of_a_server_name():
    assert names.host_names("shop.example.com www.shop.example.com") == ["shop.example.com", "www.shop.example.com"]
    assert names.host_names("_") == []
    assert names.host_names("*.example.com www.example.* ~^app\\d+$ shop.example.com") == ["shop.example.com"]
    assert names.host_names("") == []


def test_addresses_are_split_by_ip_version_as_nftables_writes_them():
    clients = ["10.0.0.10", "10.0.1.0/24", "fd00::10", "fd00:1::/64", "10.0.2.7/32"]
    assert names.ip_version(clients, 4) == ["10.0.0.10", "10.0.1.0/24", "10.0.2.7"]
    assert names.ip_version(clients, "6") == ["fd00::10", "fd00:1::/64"]
    assert names.ip_version([], 4) == []


def test_the_address_in_a_network_is_the_first_of_the_hosts_inside_it():
    addresses = ["203.0.113.5", "10.213.77.11", "10.213.77.99"]
    assert names.address_in(addresses, "10.213.77.0/24") == "10.213.77.11"
    assert names.address_in(addresses, "192.168.0.0/16") == ""
    assert names.address_in(["fd00::5"], "fd00::/8") == "fd00::5"
    assert names.address_in(addresses, "fd00::/8") == ""


def test_a_network_that_is_none_is_named():
    with pytest.raises(Exception, match="pyweb_private_network must be a network such as 10.0.0.0/24; got 'eth1'"):
        names.address_in(["10.0.0.5"], "eth1")
