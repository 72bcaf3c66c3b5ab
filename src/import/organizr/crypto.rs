//! Organizr's encrypted settings: a key whose name contains `password` is
//! saved as `base64(openssl_encrypt(value, 'AES-256-CBC', organizrHash, 0,
//! iv))`, the key being `organizrHash` zero-padded (or cut) to 32 bytes
//! and the IV its first 16 characters (padded from `0123456789abcdef`).

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use base64::Engine as _;

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// Why a value could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("not base64")]
    Base64,
    #[error("not AES-256-CBC data for this organizrHash")]
    Cipher,
    #[error("the decrypted value is not text")]
    Text,
}

/// Decrypts one stored value with the install's `organizrHash`.
pub fn decrypt(stored: &str, organizr_hash: &str) -> Result<String, DecryptError> {
    let mut data = base64::engine::general_purpose::STANDARD
        .decode(stored.trim())
        .map_err(|_| DecryptError::Base64)?;
    let mut key = [0u8; 32];
    let hash = organizr_hash.as_bytes();
    let n = hash.len().min(32);
    key[..n].copy_from_slice(&hash[..n]);
    let mut iv = *b"0123456789abcdef";
    let m = hash.len().min(16);
    iv[..m].copy_from_slice(&hash[..m]);
    let plain = Aes256CbcDec::new(&key.into(), &iv.into())
        .decrypt_padded_mut::<Pkcs7>(&mut data)
        .map_err(|_| DecryptError::Cipher)?;
    String::from_utf8(plain.to_vec()).map_err(|_| DecryptError::Text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_decrypt_fixture_value() {
        // The fixture's ombiFallbackPassword, saved by Organizr 2.1.2460.
        assert_eq!(
            decrypt("HELceLtoRscvjI99WRttUA==", "fixtureA-hashkey-throwaway").unwrap(),
            "Ombi-fallback-1"
        );
    }

    #[test]
    fn test_decrypt_refuses_wrong_key_and_garbage() {
        assert!(decrypt("HELceLtoRscvjI99WRttUA==", "another-hash-value-here").is_err());
        assert_eq!(decrypt("not base64!", "x"), Err(DecryptError::Base64));
        assert_eq!(decrypt("AAAA", "x"), Err(DecryptError::Cipher));
    }
}
