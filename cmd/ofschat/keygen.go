package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

const (
	privateKeyFile  = "private.pem"
	certificateFile = "cert.pem"
	// maxCertificateDays bounds --days at about 30 years, far beyond any
	// rotation policy, so that a typo such as 36500 is caught.
	maxCertificateDays = 11000
)

const keygenDescription = `
Generates an RSA key and a self-signed certificate for it, as the OFS
application's "Authenticate using JWT assertion" setting needs. Writes the key
as unencrypted PKCS#8 to DIR/private.pem (mode 0600) and the certificate to
DIR/cert.pem, and prints the certificate's thumbprints and expiry. Existing
files are kept unless --force is set.

Upload cert.pem to the application in OFS; store private.pem with
ofschat secret. The key never leaves this machine otherwise.`

type keygenOptions struct {
	bits    int
	subject string
	days    int
	dir     string
	force   bool
}

func runKeygen(_ context.Context, e *env, args []string) error {
	var opts keygenOptions
	flags := flag.NewFlagSet("keygen", flag.ContinueOnError)
	flags.IntVar(&opts.bits, "bits", 2048, "RSA key size in `bits`: 2048, 3072 or 4096")
	flags.StringVar(&opts.subject, "subject", "ofs-startchat",
		"certificate subject: a common `name`, or a distinguished name such as /CN=ofs-startchat/O=Acme")
	flags.IntVar(&opts.days, "days", 365, "certificate validity in `days` from now")
	flags.StringVar(&opts.dir, "dir", ".", "`folder` to write private.pem and cert.pem into")
	flags.BoolVar(&opts.force, "force", false, "replace existing private.pem and cert.pem")
	if err := parseFlags(flags, e, "[--bits 2048] [--subject NAME] [--days 365] [--dir .] [--force]",
		keygenDescription, args); err != nil {
		return err
	}
	if opts.bits != 2048 && opts.bits != 3072 && opts.bits != 4096 {
		return usagef("--bits %d is not supported; use 2048, 3072 or 4096", opts.bits)
	}
	if opts.days < 1 || opts.days > maxCertificateDays {
		return usagef("--days %d is out of range; use 1 to %d", opts.days, maxCertificateDays)
	}

	if _, err := ofs.ParseSubject(opts.subject); err != nil {
		return usagef("--subject: %v", err)
	}

	keyPath := filepath.Join(opts.dir, privateKeyFile)
	certPath := filepath.Join(opts.dir, certificateFile)
	if !opts.force {
		for _, path := range []string{keyPath, certPath} {
			if _, err := os.Lstat(path); err == nil {
				return fmt.Errorf("%s already exists; keep it, or pass --force to replace the key "+
					"pair (the certificate uploaded to OFS then stops matching)", path)
			}
		}
	}
	identity, err := ofs.GenerateIdentity(opts.bits, opts.subject, time.Duration(opts.days)*24*time.Hour)
	if err != nil {
		return err
	}
	if err := writeFile(keyPath, identity.PrivateKeyPEM, 0o600, opts.force); err != nil {
		return err
	}
	if err := writeFile(certPath, identity.CertificatePEM, 0o644, opts.force); err != nil {
		os.Remove(keyPath) // a key without its certificate is of no use
		return err
	}

	w := e.stdout
	fmt.Fprintf(w, "Wrote %s (RSA %d bits, unencrypted PKCS#8, mode 0600) and %s.\n\n",
		keyPath, opts.bits, certPath)
	fmt.Fprintln(w, "Certificate:")
	printCertificate(w, identity.Certificate, e.now())
	fmt.Fprintf(w, `
Next:
  1. In OFS open Configuration > Applications and choose the application.
  2. Tick "Authenticate using JWT assertion", upload %s and save.
  3. Store the key:  ofschat secret --private-key %s --cert %s \
       --instance INSTANCE --client-id CLIENT_ID --user LOGIN --put NAME
Keep %s secret. Anyone who has it can start chats as that user.
`, certPath, keyPath, certPath, keyPath)
	return nil
}

// writeFile writes data to path with mode perm. Without replace it fails
// when path exists. With replace it writes a temporary file next to path and
// renames it, so that the old file's mode never applies to the new data.
func writeFile(path string, data []byte, perm os.FileMode, replace bool) error {
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; pass --force to replace it", path)
		}
		if err != nil {
			return fmt.Errorf("creating %s: %w", path, err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(path)
			return fmt.Errorf("writing %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			os.Remove(path)
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("creating a temporary file for %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("setting the mode of %s: %w", tmp.Name(), err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}
