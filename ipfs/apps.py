"""Django app config for ``ipfs``: the IPFS client, CID computation and the local node."""

from django.apps import AppConfig


class IpfsConfig(AppConfig):
    name = "ipfs"
    label = "ipfs"
    verbose_name = "IPFS"
