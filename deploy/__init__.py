"""Deployment files: the CloudFormation template of the whole stack, the IAM documents rendered
from it (deploy/iam/), the code that reads the template outside CloudFormation, the build of the
Lambda's zip (`python -m deploy.package`); Kubernetes manifests for Locust workers (deploy/k8s/,
docs/scaling.md). Not part of the installed package: run from the checkout's root."""
