# The Athena tutorial's config.yaml (examples/seed-tutorial.yaml) in the routing DSL.
# `switchyard dsl compile examples/seed-tutorial.dsl` prints the same config as YAML.
GLOBAL {
  version: "v0.1"
  listeners: [{ name: "http-8899", address: "0.0.0.0", port: 8899, timeout: "300s" }]
  providers: { default_model: "mlx-community/Qwen3-Coder-Next-4bit" }
}

# The free local model: everyday work stays here.
BACKEND model "mlx-community/Qwen3-Coder-Next-4bit" {
  param_size: "80b"
  endpoints: [{ name: "mlx-local", weight: 100, endpoint: "host.containers.internal:8000", protocol: "http" }]
  capabilities: ["coding", "debugging", "refactoring"]
  quality_score: 0.85
  pricing: { currency: "USD", prompt_per_1m: 0, completion_per_1m: 0 }
}

# The paid cloud model, only for hard reasoning. Put the key in the environment.
BACKEND model "gemini-2.5-pro" {
  param_size: "400b"
  endpoints: [
    {
      name: "gemini-primary"
      weight: 100
      endpoint: "generativelanguage.googleapis.com/v1beta/openai"
      protocol: "https"
    }
  ]
  access_key: "<YOUR_GEMINI_API_KEY>"
  capabilities: ["reasoning", "math", "analysis", "coding", "creative"]
  quality_score: 0.95
  pricing: { currency: "USD", prompt_per_1m: 1.25, completion_per_1m: 10 }
}

SIGNAL keyword reasoning_keywords {
  operator: "OR"
  keywords: ["prove", "derive", "theorem", "induction", "research", "formal verification", "proof by contradiction"]
  case_sensitive: false
}

SIGNAL keyword coding_keywords {
  operator: "OR"
  keywords: ["implement", "refactor", "debug", "function", "class", "import", "build", "code"]
  case_sensitive: false
}

ROUTE reasoning-route (description = "Route complex reasoning tasks to Gemini 2.5 Pro") {
  PRIORITY 100
  WHEN keyword("reasoning_keywords")
  MODEL "gemini-2.5-pro" (reasoning = true)
}

ROUTE coding-route (description = "Route coding tasks to local Qwen3-Coder-Next") {
  PRIORITY 80
  WHEN keyword("coding_keywords")
  MODEL "mlx-community/Qwen3-Coder-Next-4bit"
}

# No WHEN: always matches, so it catches everything the routes above do not.
ROUTE default-route (description = "Default route to local model for cost savings") {
  PRIORITY 1
  MODEL "mlx-community/Qwen3-Coder-Next-4bit"
}
