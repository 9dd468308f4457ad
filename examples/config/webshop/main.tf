# Terraform for the serverless webshop's AWS resources (illustrative): some
# settings are right, some are the mistakes demarc check is there to catch.

resource "aws_s3_bucket" "images" {
  bucket = "webshop-product-images"
}

resource "aws_s3_bucket_public_access_block" "images" {
  bucket                  = aws_s3_bucket.images.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = false
}

resource "aws_s3_bucket_versioning" "images" {
  bucket = aws_s3_bucket.images.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_dynamodb_table" "orders" {
  name         = "orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "order_id"

  attribute {
    name = "order_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = false
  }
}

resource "aws_kms_key" "shop" {
  description         = "webshop data key"
  enable_key_rotation = true
}

resource "aws_cloudtrail" "main" {
  name                          = "webshop-trail"
  s3_bucket_name                = "webshop-audit-logs"
  is_multi_region_trail         = true
  enable_log_file_validation    = true
  include_global_service_events = true
}

resource "aws_lambda_function" "api" {
  function_name = "orders-api"
  role          = "arn:aws:iam::123456789012:role/orders-api"
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  filename      = "api.zip"

  tracing_config {
    mode = "PassThrough"
  }
}
