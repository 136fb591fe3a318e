"""IPFS layer: local CID computation, the node client, verified reads, the local dev node.

Modules: ``cid`` (pure CID computation and validation), ``client`` (typed node RPC),
``verified`` (CID-checked downloads), ``node`` (install/start/stop the local js-ipfs node).
"""
