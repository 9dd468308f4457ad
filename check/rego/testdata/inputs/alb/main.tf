variable "port" {
  default = 443
}

resource "aws_alb_listener" "web" {
  port     = "80"
  protocol = "HTTP"
}

resource "aws_alb_listener" "api" {
  port     = var.port
  protocol = "HTTPS"
}

resource "aws_security_group" "open" {
  name = "open-${var.port}"

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
