"""Models: feature frames from tags, propensity / churn / value models, evaluation metrics,
fairness audits, the generic CSV trainer, recommendations and the model registry."""
