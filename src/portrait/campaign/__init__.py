"""Campaigns and their measurement: specs, contact policy, randomized control groups,
content compliance, channel exports, responses, and lift / uplift / ROI evaluation."""
