package chartrender

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"reflect"
	"sync"
	"sync/atomic"
	"text/template"
)

// Generating RSA keys is most of the cost of a chart that calls genCA or genSignedCert. Unless
// Options.RealCrypto is set, genPrivateKey and the certificate generators take their keys from a
// small per-process pool generated once, on first use: the output has the shape and validity of
// Helm's (same key types and sizes, certificates built and signed by sprig's own *WithKey functions,
// with fresh serial numbers and validity), only the keys repeat. Helm's own output differs between
// any two renders already (new keys every time), so no test or check can depend on the key bytes.

const keyPoolSize = 2

type keyPool struct {
	once [keyPoolSize]sync.Once
	pem  [keyPoolSize]string
	gen  func() string
	next atomic.Uint32
}

func (p *keyPool) get(i int) string {
	i %= keyPoolSize
	p.once[i].Do(func() { p.pem[i] = p.gen() })
	return p.pem[i]
}

var (
	poolMu    sync.Mutex
	privPools = map[string]*keyPool{}         // genPrivateKey type -> keys made by sprig's genPrivateKey
	certKeys  = &keyPool{gen: func() string { // what sprig's genCA/genSelfSignedCert/genSignedCert make
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(fmt.Sprintf("error generating rsa key: %s", err))
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	}}
)

func privPool(typ string, genPrivateKey func(string) string) *keyPool {
	poolMu.Lock()
	defer poolMu.Unlock()
	p := privPools[typ]
	if p == nil {
		p = &keyPool{gen: func() string { return genPrivateKey(typ) }}
		privPools[typ] = p
	}
	return p
}

// cnKey picks the pool key for a certificate's common name, so one name always gets one key.
func cnKey(cn string) string {
	h := fnv.New32a()
	h.Write([]byte(cn))
	return certKeys.get(int(h.Sum32() % keyPoolSize))
}

// pooledCrypto replaces the key-generating functions of f (sprig's) with pooled ones of the same
// signatures.
func pooledCrypto(f template.FuncMap) {
	if real, ok := f["genPrivateKey"].(func(string) string); ok {
		f["genPrivateKey"] = func(typ string) string {
			switch typ {
			case "", "rsa", "dsa", "ecdsa", "ed25519":
				p := privPool(typ, real)
				return p.get(int(p.next.Add(1)))
			}
			return real(typ) // "Unknown type ..."
		}
	}
	for name, withKey := range map[string]string{
		"genCA":             "genCAWithKey",
		"genSelfSignedCert": "genSelfSignedCertWithKey",
		"genSignedCert":     "genSignedCertWithKey",
	} {
		orig, with := reflect.ValueOf(f[name]), reflect.ValueOf(f[withKey])
		if orig.Kind() != reflect.Func || with.Kind() != reflect.Func || with.Type().NumIn() != orig.Type().NumIn()+1 {
			continue // a sprig that changed shape: keep its real functions
		}
		f[name] = reflect.MakeFunc(orig.Type(), func(args []reflect.Value) []reflect.Value {
			return with.Call(append(append([]reflect.Value{}, args...), reflect.ValueOf(cnKey(args[0].String()))))
		}).Interface()
	}
}
