"""The AWS gateway: every call Outpost makes to AWS goes through here, and nowhere else."""
