package chartrender

import (
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var certChart = map[string]string{
	"Chart.yaml": "apiVersion: v2\nname: certs\nversion: 0.1.0\n",
	"templates/secret.yaml": `{{- $ca := genCA "my-ca" 30 }}
{{- $cert := genSignedCert "svc" nil (list "svc.ns.svc") 30 $ca }}
apiVersion: v1
kind: Secret
metadata: {name: tls}
stringData:
  ca.crt: {{ $ca.Cert | quote }}
  tls.crt: {{ $cert.Cert | quote }}
  tls.key: {{ $cert.Key | quote }}
  self.key: {{ (genSelfSignedCert "self" nil nil 30).Key | quote }}
  {{- if not .Values.real }}
  rsa.key: {{ genPrivateKey "rsa" | quote }}
  {{- end }}
  ec.key: {{ genPrivateKey "ecdsa" | quote }}
`,
}

func TestPooledKeysRepeatButCertificatesStayValid(t *testing.T) {
	ch, err := Load(writeChart(t, certChart))
	require.NoError(t, err)
	secret := func(opts Options) map[string]string {
		res, err := Render(ch, opts)
		require.NoError(t, err)
		require.Len(t, res.Manifests, 1)
		var s corev1.Secret
		require.NoError(t, yaml.Unmarshal([]byte(res.Manifests[0].Content), &s))
		return s.StringData
	}
	a, b := secret(Options{}), secret(Options{})
	for _, k := range []string{"tls.key", "rsa.key", "ec.key"} {
		require.Contains(t, a[k], "PRIVATE KEY-----")
	}
	require.Equal(t, a["tls.key"], b["tls.key"], "one common name, one pooled key")
	require.NotEqual(t, a["tls.crt"], b["tls.crt"], "certificates are still made per render")

	// The signed certificate verifies against its CA for the DNS name asked, as Helm's does.
	block, _ := pem.Decode([]byte(a["ca.crt"]))
	ca, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	block, _ = pem.Decode([]byte(a["tls.crt"]))
	leaf, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "svc.ns.svc"})
	require.NoError(t, err)
	rsaKey, _ := pem.Decode([]byte(a["rsa.key"]))
	k, err := x509.ParsePKCS1PrivateKey(rsaKey.Bytes)
	require.NoError(t, err)
	require.Equal(t, 4096, k.N.BitLen(), "genPrivateKey rsa keeps sprig's key size")
	tlsKey, _ := pem.Decode([]byte(a["tls.key"]))
	k, err = x509.ParsePKCS1PrivateKey(tlsKey.Bytes)
	require.NoError(t, err)
	require.Equal(t, 2048, k.N.BitLen(), "certificate keys keep sprig's key size")

	real1, real2 := secret(Options{RealCrypto: true, Values: map[string]interface{}{"real": true}}), secret(Options{RealCrypto: true, Values: map[string]interface{}{"real": true}})
	require.NotEqual(t, real1["tls.key"], real2["tls.key"], "RealCrypto makes fresh keys like Helm")
	require.NotEqual(t, real1["tls.key"], a["tls.key"])
}
