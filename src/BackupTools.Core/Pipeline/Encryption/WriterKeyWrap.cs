using BackupTools.Core.Errors;
using BackupTools.Core.Keys;

namespace BackupTools.Core.Pipeline.Encryption;

/// <summary>
/// Wraps keys that writers must be able to unwrap again — a format-2 repository's chunk secret, index files' data keys,
/// cell file-state indexes — never a key that decrypts content. A secret key wraps as <see cref="DataKeyWrapper"/> does;
/// a key pair (or its public half) wraps under its writer secret: "writer:" + base64(nonce 12 ‖ AES-256-GCM 32 ‖ tag 16),
/// so a backup host holding only the public key file reads them back, and the private key file (which derives the
/// same secret) too. Unwrap also accepts a pair's ECDH wrap ("ecdh-p384:…", format-2 files written before writer
/// secrets), which needs the private key.
/// </summary>
public static class WriterKeyWrap
{
    public const string Prefix = "writer:";

    public static bool IsWriterWrap(string wrapped) => wrapped.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Wrap(BackupKey key, ReadOnlySpan<byte> dataKey, string associatedData) => key.Kind == BackupKeyKind.Secret
        ? DataKeyWrapper.Wrap(key.Material, dataKey, associatedData)
        : Prefix + Convert.ToBase64String(DataKeyWrapper.SealWithKek(key.WriterSecret, dataKey, associatedData));

    public static byte[] Unwrap(BackupKey key, string wrapped, string associatedData)
    {
        if (!IsWriterWrap(wrapped)) return DataKeyWrapper.Unwrap(key, wrapped, associatedData);
        if (key.Kind == BackupKeyKind.Secret)
            throw new BackupKeyException("DataKeyUnwrapFailed", $"The wrapped key of {associatedData} was made with a key pair's writer secret, not with secret key {key.Describe()}.",
                "Pass the key pair's key file this was written with.");
        byte[] input;
        try { input = Convert.FromBase64String(wrapped[Prefix.Length..]); }
        catch (FormatException) { input = []; }
        return DataKeyWrapper.OpenWithKek(key.WriterSecret, input, associatedData);
    }

    /// <summary>True when the key can unwrap this wrap (without trying): what a writer checks before relying on an entry.</summary>
    public static bool CanUnwrap(BackupKey key, string wrapped) =>
        IsWriterWrap(wrapped) ? key.Kind != BackupKeyKind.Secret && key.HasWriterSecret
        : EcdhKeyWrap.IsEcdh(wrapped) ? key.Kind == BackupKeyKind.KeyPair
        : key.Kind == BackupKeyKind.Secret;
}
