package main

# Tests are not policies: Load leaves *_test.rego files out, and they may
# call functions only conftest defines.
test_http_alb {
	cfg := parse_config("hcl2", `resource "aws_alb_listener" "x" { protocol = "HTTP" }`)
	deny["ALB `x` is using HTTP rather than HTTPS"] with input as cfg
}
