//! TLS for wss, from rustls: the server's configuration from ZMQ_WSS_CERT_PEM and
//! ZMQ_WSS_KEY_PEM, the client's trust from ZMQ_WSS_TRUST_PEM and (with
//! ZMQ_WSS_TRUST_SYSTEM) the system's store, and the name its certificate must carry
//! (ZMQ_WSS_HOSTNAME, else the host connected to). Certificates are checked by
//! rustls's WebPKI verifier: chain, validity and name.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::error::{Errno, ZResult};
use crate::options::Options;

/// rustls's *ring* backend: portable and quick to build. (rustls 0.23.48 marks it
/// deprecated because it lacks post-quantum key exchange, which its aws-lc-rs
/// backend has at the cost of a long C and cmake build.)
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates in a PEM text; EINVAL when there is none or one is damaged.
pub(crate) fn certificates(pem: &[u8]) -> ZResult<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|_| Errno::EINVAL)?;
    if certs.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok(certs)
}

/// The private key in a PEM text; EINVAL when there is none.
pub(crate) fn private_key(pem: &[u8]) -> ZResult<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|_| Errno::EINVAL)
}

/// A server's TLS configuration; EINVAL without a certificate and its key.
pub(crate) fn server_config(o: &Options) -> ZResult<Arc<ServerConfig>> {
    if o.wss_cert_pem.is_empty() || o.wss_key_pem.is_empty() {
        return Err(Errno::EINVAL);
    }
    let certs = certificates(&o.wss_cert_pem)?;
    let key = private_key(&o.wss_key_pem)?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|_| Errno::EINVAL)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|_| Errno::EINVAL)?;
    Ok(Arc::new(config))
}

/// A client's TLS configuration and the name to check; `host` is the host part of
/// the endpoint. EINVAL for a damaged trust PEM or a name that is no DNS name or IP.
pub(crate) fn client_config(
    o: &Options,
    host: &str,
) -> ZResult<(Arc<ClientConfig>, ServerName<'static>)> {
    let mut roots = RootCertStore::empty();
    if !o.wss_trust_pem.is_empty() {
        for cert in certificates(&o.wss_trust_pem)? {
            roots.add(cert).map_err(|_| Errno::EINVAL)?;
        }
    }
    if o.wss_trust_system {
        // Unreadable entries of the system store are skipped, as a TLS library does.
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|_| Errno::EINVAL)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = if o.wss_hostname.is_empty() {
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string()
    } else {
        String::from_utf8(o.wss_hostname.clone()).map_err(|_| Errno::EINVAL)?
    };
    let name = ServerName::try_from(name).map_err(|_| Errno::EINVAL)?;
    Ok((Arc::new(config), name))
}
