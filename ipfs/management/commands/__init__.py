"""Management commands of the ipfs app."""
