"""Deployment: Elastic Beanstalk, CloudFormation and the small processes that run beside the app."""
