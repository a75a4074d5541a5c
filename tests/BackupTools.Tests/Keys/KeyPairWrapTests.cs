using System.Security.Cryptography;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Keys;

public sealed class KeyPairWrapTests : IDisposable
{
    private readonly TempDir _temp = new();

    [Fact]
    public void Public_half_wraps_what_only_the_private_key_unwraps_bound_to_the_backup_id()
    {
        var pair = BackupKey.GenerateKeyPair("prod");
        var publicKey = pair.PublicHalf();
        Assert.Equal(pair.Id, publicKey.Id);
        var dataKey = DataKeys.NewDataKey();
        var wrapped = DataKeyWrapper.Wrap(publicKey, dataKey, "backup-1");
        Assert.StartsWith(EcdhKeyWrap.Prefix, wrapped);
        Assert.NotEqual(wrapped, DataKeyWrapper.Wrap(publicKey, dataKey, "backup-1")); // a fresh ephemeral key per wrap
        Assert.Equal(dataKey, DataKeyWrapper.Unwrap(pair, wrapped, "backup-1"));

        var denied = Assert.Throws<BackupKeyException>(() => DataKeyWrapper.Unwrap(publicKey, wrapped, "backup-1"));
        Assert.Equal("PrivateKeyRequired", denied.ErrorId);
        Assert.Contains($"{pair.Id} ('prod')", denied.Message);
        Assert.Equal("DataKeyUnwrapFailed", Assert.Throws<BackupKeyException>(() => DataKeyWrapper.Unwrap(pair, wrapped, "backup-2")).ErrorId);
        Assert.Equal("DataKeyUnwrapFailed", Assert.Throws<BackupKeyException>(() => DataKeyWrapper.Unwrap(BackupKey.GenerateKeyPair(), wrapped, "backup-1")).ErrorId);
        var raw = Convert.FromBase64String(wrapped[EcdhKeyWrap.Prefix.Length..]);
        raw[^1] ^= 1;
        Assert.Equal("DataKeyUnwrapFailed", Assert.Throws<BackupKeyException>(() => DataKeyWrapper.Unwrap(pair, EcdhKeyWrap.Prefix + Convert.ToBase64String(raw), "backup-1")).ErrorId);
        raw[^1] ^= 1;
        raw[5] ^= 1; // the ephemeral point: off the curve, or another point
        Assert.Equal("DataKeyUnwrapFailed", Assert.Throws<BackupKeyException>(() => DataKeyWrapper.Unwrap(pair, EcdhKeyWrap.Prefix + Convert.ToBase64String(raw), "backup-1")).ErrorId);
        // A secret key's wrap is not mistaken for a pair's.
        Assert.Equal("DataKeyUnwrapFailed", Assert.Throws<BackupKeyException>(() => DataKeyWrapper.Unwrap(pair, DataKeyWrapper.Wrap(RandomNumberGenerator.GetBytes(32), dataKey, "backup-1"), "backup-1")).ErrorId);
    }

    [Fact]
    public void Key_files_round_trip_privately_and_a_ring_prefers_the_private_half()
    {
        var pair = BackupKey.GenerateKeyPair("prod");
        BackupKeyFile.Write(_temp.Sub("prod.json"), pair);
        BackupKeyFile.Write(_temp.Sub("prod.public.json"), pair.PublicHalf());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_temp.Sub("prod.json")));
        var readPair = BackupKeyFile.Read(_temp.Sub("prod.json"));
        var readPublic = BackupKeyFile.Read(_temp.Sub("prod.public.json"));
        Assert.Equal((pair.Id, BackupKeyKind.KeyPair, "prod"), (readPair.Id, readPair.Kind, readPair.Name));
        Assert.Equal((pair.Id, BackupKeyKind.PublicKey), (readPublic.Id, readPublic.Kind));
        Assert.Equal(pair.CreatedAt, readPublic.CreatedAt);

        var ring = new BackupKeyRing();
        ring.Add(readPublic);
        Assert.Equal("PrivateKeyRequired", Assert.Throws<BackupKeyException>(() => ring.FindReader(pair.Id, "b")).ErrorId);
        ring.Add(readPair);
        Assert.True(ring.FindReader(pair.Id, "b").CanRead);
        Assert.Single(ring.Keys);

        // A private key swapped for another pair's is refused, not silently used.
        var other = BackupKey.GenerateKeyPair();
        var text = File.ReadAllText(_temp.Sub("prod.json"));
        var doc = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        BackupKeyFile.Write(_temp.Sub("other.json"), other);
        doc["privateKey"] = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_temp.Sub("other.json")))!["privateKey"]!.GetValue<string>();
        File.WriteAllText(_temp.Sub("edited.json"), doc.ToJsonString());
        Assert.Equal("KeyFileMalformed", Assert.Throws<BackupKeyException>(() => BackupKeyFile.Read(_temp.Sub("edited.json"))).ErrorId);
    }

    [Fact]
    public void Secret_key_wraps_through_the_BackupKey_overload_the_same_as_through_raw_bytes()
    {
        var secret = BackupKey.Generate();
        var dataKey = DataKeys.NewDataKey();
        Assert.Equal(dataKey, DataKeyWrapper.Unwrap(secret.Material, DataKeyWrapper.Wrap(secret, dataKey, "b"), "b"));
        Assert.Equal(dataKey, DataKeyWrapper.Unwrap(secret, DataKeyWrapper.Wrap(secret.Material, dataKey, "b"), "b"));
    }

    public void Dispose() => _temp.Dispose();
}
