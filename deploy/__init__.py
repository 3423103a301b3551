"""Deployment files: the CloudFormation template of the whole stack, the IAM documents rendered
from it (deploy/iam/), and the code that reads the template outside CloudFormation; Kubernetes
manifests for Locust workers (deploy/k8s/, docs/scaling.md). Not part of the installed package."""
