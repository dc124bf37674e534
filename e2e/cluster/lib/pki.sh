# Certificates and kubeconfigs of the cluster, made with openssl. Sourced, never run.
# shellcheck shell=bash
#
# Keys are ECDSA P-256 (fast to make on 2 cores); the service-account key pair is RSA 2048.
# Three CAs, as kubeadm does: ca (API server, clients, kubelets, CSR signing), etcd-ca (only
# the API server may talk to etcd) and front-proxy-ca (aggregation layer client identity).

_pki_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# pki_ca NAME CN: self-signed CA NAME.crt/NAME.key, valid 10 years.
pki_ca() {
  local name="$1" cn="$2"
  [ -f "$LG_PKI/$name.crt" ] && return 0
  _pki_key "$LG_PKI/$name.key"
  openssl req -x509 -new -key "$LG_PKI/$name.key" -subj "/CN=$cn" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$LG_PKI/$name.crt" 2>/dev/null
}

# pki_cert NAME CA SUBJECT USAGE [SANS]: key + certificate signed by CA, valid 1 year.
# USAGE is serverAuth, clientAuth or "serverAuth,clientAuth"; SANS like "DNS:a,IP:1.2.3.4".
pki_cert() {
  local name="$1" ca="$2" subj="$3" usage="$4" sans="${5:-}" ext
  [ -f "$LG_PKI/$name.crt" ] && return 0
  _pki_key "$LG_PKI/$name.key"
  ext="$LG_PKI/$name.ext"
  {
    echo "[v3]"
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [ -z "$sans" ] || echo "subjectAltName=$sans"
  } >"$ext"
  openssl req -new -key "$LG_PKI/$name.key" -subj "$subj" -out "$LG_PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$LG_PKI/$name.csr" -CA "$LG_PKI/$ca.crt" -CAkey "$LG_PKI/$ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 365 -sha256 -extfile "$ext" -extensions v3 \
    -out "$LG_PKI/$name.crt" 2>/dev/null
  rm -f "$LG_PKI/$name.csr" "$ext"
}

pki_all() {
  mkdir -p "$LG_PKI"
  chmod 700 "$LG_PKI"
  pki_ca ca "$CLUSTER_NAME-ca"
  pki_ca etcd-ca "$CLUSTER_NAME-etcd-ca"
  pki_ca front-proxy-ca "$CLUSTER_NAME-front-proxy-ca"

  pki_cert etcd-server etcd-ca "/CN=etcd" serverAuth "DNS:localhost,IP:127.0.0.1"
  pki_cert apiserver-etcd-client etcd-ca "/CN=kube-apiserver-etcd-client" clientAuth
  # Pods reach the API server at the service IP, clients on the host at the node address.
  pki_cert apiserver ca "/CN=kube-apiserver" serverAuth \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DNS_DOMAIN,DNS:localhost,DNS:$NODE_NAME,IP:$NODE_IP,IP:127.0.0.1,IP:$SERVICE_API_IP"
  # The API server's identity towards kubelets (logs, exec, port-forward, nodes/proxy).
  pki_cert apiserver-kubelet-client ca "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  pki_cert admin ca "/O=system:masters/CN=leakguard-e2e-admin" clientAuth
  # Node authorizer + NodeRestriction recognise a kubelet by this exact subject.
  pki_cert kubelet ca "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  pki_cert controller-manager ca "/CN=system:kube-controller-manager" clientAuth
  pki_cert scheduler ca "/CN=system:kube-scheduler" clientAuth
  pki_cert kube-proxy ca "/CN=system:kube-proxy" clientAuth
  pki_cert metrics-server-client ca "/CN=system:metrics-server" clientAuth
  # The aggregator dials the endpoint IP but checks the name <service>.<namespace>.svc.
  pki_cert metrics-server ca "/CN=metrics-server" serverAuth \
    "DNS:metrics-server.kube-system.svc,DNS:metrics-server.kube-system.svc.$CLUSTER_DNS_DOMAIN,IP:$NODE_IP"
  pki_cert front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth

  if [ ! -f "$LG_PKI/sa.key" ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$LG_PKI/sa.key" 2>/dev/null
    openssl pkey -in "$LG_PKI/sa.key" -pubout -out "$LG_PKI/sa.pub" 2>/dev/null
  fi
}

# write_kubeconfig FILE CERTNAME: a kubeconfig with the CA and client credentials embedded, so
# it still works when copied elsewhere.
write_kubeconfig() {
  local file="$1" cert="$2"
  local b64="base64 -w0"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CLUSTER_NAME
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $($b64 <"$LG_PKI/ca.crt")
users:
- name: $cert
  user:
    client-certificate-data: $($b64 <"$LG_PKI/$cert.crt")
    client-key-data: $($b64 <"$LG_PKI/$cert.key")
contexts:
- name: $cert@$CLUSTER_NAME
  context:
    cluster: $CLUSTER_NAME
    user: $cert
current-context: $cert@$CLUSTER_NAME
EOF
  chmod 600 "$file"
}

kubeconfigs_all() {
  mkdir -p "$LG_KUBECONFIGS"
  local c
  for c in admin kubelet controller-manager scheduler kube-proxy metrics-server-client; do
    write_kubeconfig "$LG_KUBECONFIGS/$c.kubeconfig" "$c"
  done
}
