"""The names and addresses a site and its app nodes are reached by."""

import ipaddress
import re

from ansible.errors import AnsibleFilterError

# "_" (any name), regular expressions (~...) and wildcards (*.example.com, www.example.*) match
# names; they are not names a client can ask for.
PATTERN = re.compile(r"_|~.*|\*.*|.*\*")


def host_names(server_name):
    """The exact host names among the space-separated names of server_name, in their order."""
    return [name for name in str(server_name).split() if not PATTERN.fullmatch(name)]


def ip_version(addresses, version):
    """The addresses and networks of one IP version (4 or 6), as nftables writes them."""
    networks = [ipaddress.ip_network(str(a), strict=False) for a in addresses]
    return [str(n.network_address) if n.num_addresses == 1 else str(n)
            for n in networks if n.version == int(version)]


def address_in(addresses, network):
    """The first of a host's addresses inside network (e.g. "10.0.0.0/24"), or ""."""
    try:
        within = ipaddress.ip_network(str(network), strict=False)
    except ValueError:
        raise AnsibleFilterError("pyweb_private_network must be a network such as 10.0.0.0/24; got %r" % network)
    for address in addresses:
        if ipaddress.ip_address(str(address)) in within:
            return str(address)
    return ""


class FilterModule:
    def filters(self):
        return {"host_names": host_names, "ip_version": ip_version, "address_in": address_in}
