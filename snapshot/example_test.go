package snapshot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/snapshot"
)

// A policy on a bucket sees the bucket's separate public access block,
// whose bucket attribute is only known after apply.
func ExampleParseBytes() {
	src := `
resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket            = aws_s3_bucket.logs.id
  block_public_acls = true
}
`
	s, err := snapshot.ParseBytes("main.tf", "terraform", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	ix := snapshot.NewIndex(s)
	bucket := ix.Get("aws_s3_bucket.logs")
	for _, pab := range ix.RelatedOf(bucket, "aws_s3_bucket_public_access_block") {
		fmt.Println(pab.ID, "at", pab.Pos)
		fmt.Println("block_public_acls:", pab.Attributes["block_public_acls"])
		fmt.Println("bucket unknown:", snapshot.IsUnknown(pab, "bucket"))
	}
	// Output:
	// aws_s3_bucket_public_access_block.logs at main.tf:6
	// block_public_acls: true
	// bucket unknown: true
}

// Values from a NoEcho parameter are sensitive; Redacted hides them.
func ExampleRedacted() {
	src := `
Parameters:
  Password:
    Type: String
    NoEcho: true
    Default: hunter2
Resources:
  DB:
    Type: AWS::RDS::DBInstance
    Properties:
      MasterUsername: admin
      MasterUserPassword: !Ref Password
`
	s, err := snapshot.ParseBytes("db.yaml", "", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	db := &s.Resources[0]
	fmt.Println(db.ID, db.Sensitive)
	fmt.Println(snapshot.Redacted(db))
	// Output:
	// AWS::RDS::DBInstance/DB [MasterUserPassword]
	// map[MasterUserPassword:(sensitive) MasterUsername:admin]
}

// Walk reads a folder on all cores; the callback must be safe for
// concurrent use.
func ExampleWalk() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"pod.yaml":   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n",
		"chart.yaml": "name: web\nversion: 1.0.0\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			fmt.Println(err)
			return
		}
	}
	var mu sync.Mutex
	formats := map[string]string{}
	err = snapshot.Walk(context.Background(), []string{dir}, func(s *demarc.Snapshot) error {
		mu.Lock()
		defer mu.Unlock()
		formats[filepath.Base(s.File)] = s.Format
		return nil
	})
	fmt.Println(formats, err)
	// Output:
	// map[chart.yaml:unsupported pod.yaml:kubernetes] <nil>
}
