"""Plan and report renderers: Terraform-style text, versioned JSON, Markdown PR comments."""
