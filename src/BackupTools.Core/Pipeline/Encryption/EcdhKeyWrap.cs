using System.Security.Cryptography;
using System.Text;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;

namespace BackupTools.Core.Pipeline.Encryption;

/// <summary>
/// Wraps a data key to the public half of a key pair, so a host holding only that public key can write backups
/// it cannot read (ECIES/HPKE-style, .NET primitives only):
/// an ephemeral P-384 key E per wrap; Z = ECDH(E, recipient) (the raw x-coordinate);
/// KEK = HKDF-SHA256(Z, salt = empty, info = "BackupTools ecdh-p384 wrap v1" ‖ E's point ‖ recipient's public key DER);
/// then the same AES-256-GCM wrap as secret keys, with the backup id as associated data.
/// Text form: "ecdh-p384:" + base64(E's uncompressed point (97) ‖ nonce (12) ‖ wrapped key (32) ‖ tag (16)).
/// </summary>
public static class EcdhKeyWrap
{
    public const string Prefix = "ecdh-p384:";
    private const int PointSize = 1 + 2 * 48;
    private static readonly byte[] InfoLabel = Encoding.ASCII.GetBytes("BackupTools ecdh-p384 wrap v1");

    public static bool IsEcdh(string wrapped) => wrapped.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Wrap(BackupKey recipient, ReadOnlySpan<byte> dataKey, string associatedData)
    {
        using var recipientKey = ECDiffieHellman.Create();
        recipientKey.ImportSubjectPublicKeyInfo(recipient.PublicKeyDer, out _);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var point = EncodePoint(ephemeral.ExportParameters(false).Q);
        var kek = DeriveKek(ephemeral, recipientKey.PublicKey, point, recipient.PublicKeyDer);
        try
        {
            var sealedKey = DataKeyWrapper.SealWithKek(kek, dataKey, associatedData);
            return Prefix + Convert.ToBase64String([.. point, .. sealedKey]);
        }
        finally { Array.Clear(kek); }
    }

    public static byte[] Unwrap(BackupKey pair, string wrapped, string associatedData)
    {
        byte[] input;
        try { input = IsEcdh(wrapped) ? Convert.FromBase64String(wrapped[Prefix.Length..]) : []; }
        catch (FormatException) { input = []; }
        if (input.Length != PointSize + 60 || input[0] != 4)
            throw new BackupKeyException("DataKeyUnwrapFailed", "The manifest's wrapped data key is malformed.");
        using var own = ECDiffieHellman.Create();
        own.ImportPkcs8PrivateKey(pair.PrivateKeyDer, out _);
        using var ephemeral = ECDiffieHellman.Create();
        try
        {
            ephemeral.ImportParameters(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP384,
                Q = new ECPoint { X = input[1..49], Y = input[49..PointSize] },
            });
        }
        catch (CryptographicException)
        {
            throw new BackupKeyException("DataKeyUnwrapFailed", "The manifest's wrapped data key holds no valid P-384 point (altered).");
        }
        var kek = DeriveKek(own, ephemeral.PublicKey, input.AsSpan(0, PointSize), pair.PublicKeyDer);
        try { return DataKeyWrapper.OpenWithKek(kek, input.AsSpan(PointSize), associatedData); }
        finally { Array.Clear(kek); }
    }

    private static byte[] DeriveKek(ECDiffieHellman own, ECDiffieHellmanPublicKey other, ReadOnlySpan<byte> ephemeralPoint, ReadOnlySpan<byte> recipientDer)
    {
        var shared = own.DeriveRawSecretAgreement(other);
        try { return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, [], [.. InfoLabel, .. ephemeralPoint, .. recipientDer]); }
        finally { Array.Clear(shared); }
    }

    private static byte[] EncodePoint(ECPoint q) => [4, .. q.X!, .. q.Y!];
}
