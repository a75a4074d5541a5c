using System.Security.Cryptography;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Encryption;

namespace BackupTools.Tests.Encryption;

public sealed class SegmentedEncryptionTests
{
    private const int Segment = 1024;
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static byte[] Encrypt(byte[] plain, int writeChunk = 333)
    {
        using var output = new MemoryStream();
        using (var stream = new SegmentedEncryptStream(output, Key, "k-test", Segment, leaveOpen: true))
            for (var i = 0; i < plain.Length; i += writeChunk) stream.Write(plain, i, Math.Min(writeChunk, plain.Length - i));
        return output.ToArray();
    }

    private static byte[] Decrypt(byte[] sealedBytes, byte[]? key = null)
    {
        using var stream = new SegmentedDecryptStream(new MemoryStream(sealedBytes), key ?? Key);
        using var output = new MemoryStream();
        var buffer = new byte[517];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0) output.Write(buffer, 0, n);
        return output.ToArray();
    }

    private static string ErrorOf(byte[] sealedBytes, byte[]? key = null) =>
        Assert.ThrowsAny<BackupToolsException>(() => Decrypt(sealedBytes, key)).ErrorId;

    private static int HeaderLength => 19 + "k-test".Length;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Segment - 1)]
    [InlineData(Segment)]
    [InlineData(Segment + 1)]
    [InlineData(5 * Segment)]
    [InlineData(300_000)]
    public void Round_trips_at_every_size_around_segment_boundaries(int size)
    {
        var plain = RandomNumberGenerator.GetBytes(size);
        Assert.Equal(plain, Decrypt(Encrypt(plain)));
        Assert.Equal(plain, Decrypt(Encrypt(plain, writeChunk: 1 << 20)));
    }

    [Fact]
    public void Header_names_the_key_id()
    {
        using var stream = new SegmentedDecryptStream(new MemoryStream(Encrypt([1, 2, 3])), Key);
        Assert.Equal("k-test", stream.KeyId);
    }

    [Fact]
    public void A_flipped_bit_anywhere_is_caught()
    {
        var sealedBytes = Encrypt(RandomNumberGenerator.GetBytes(3 * Segment + 10));
        foreach (var position in new[] { 7, HeaderLength + 5, HeaderLength + Segment + 16 + 3, sealedBytes.Length - 1 })
        {
            var damaged = (byte[])sealedBytes.Clone();
            damaged[position] ^= 0x01;
            Assert.Contains(ErrorOf(damaged), new[] { "EncryptedSegmentAuthenticationFailed", "EncryptedStreamBadHeader" });
        }
        var badMagic = (byte[])sealedBytes.Clone();
        badMagic[0] ^= 0xFF;
        Assert.Equal("EncryptedStreamBadHeader", ErrorOf(badMagic));
    }

    [Fact]
    public void Dropping_the_final_segment_is_truncation()
    {
        var sealedBytes = Encrypt(RandomNumberGenerator.GetBytes(3 * Segment + 10));
        var withoutFinal = sealedBytes[..(HeaderLength + 3 * (Segment + 16))];
        Assert.Equal("EncryptedStreamTruncated", ErrorOf(withoutFinal));
        Assert.NotEqual("", ErrorOf(sealedBytes[..(sealedBytes.Length - 5)]));
    }

    [Fact]
    public void Reordered_segments_and_appended_bytes_are_caught()
    {
        var sealedBytes = Encrypt(RandomNumberGenerator.GetBytes(3 * Segment + 10));
        var swapped = (byte[])sealedBytes.Clone();
        var first = HeaderLength;
        var second = HeaderLength + Segment + 16;
        sealedBytes.AsSpan(second, Segment + 16).CopyTo(swapped.AsSpan(first));
        sealedBytes.AsSpan(first, Segment + 16).CopyTo(swapped.AsSpan(second));
        Assert.Equal("EncryptedSegmentAuthenticationFailed", ErrorOf(swapped));

        var exactMultiple = Encrypt(RandomNumberGenerator.GetBytes(2 * Segment));
        Assert.Equal("EncryptedStreamTrailingData", ErrorOf([.. exactMultiple, .. new byte[Segment + 16]]));
    }

    [Fact]
    public void Wrong_key_says_so_without_showing_any_key()
    {
        var wrong = RandomNumberGenerator.GetBytes(32);
        var error = Assert.Throws<BackupIntegrityException>(() => Decrypt(Encrypt([1, 2, 3]), wrong));
        Assert.Equal("EncryptedSegmentAuthenticationFailed", error.ErrorId);
        Assert.Contains("wrong key", error.Message);
        Assert.DoesNotContain(Convert.ToBase64String(wrong), error.Message);
    }

    [Fact]
    public void Wrapped_data_key_unwraps_only_with_its_key_and_backup_id()
    {
        var kek = RandomNumberGenerator.GetBytes(32);
        var dataKey = DataKeys.NewDataKey();
        var wrapped = DataKeyWrapper.Wrap(kek, dataKey, "backup-1");
        Assert.Equal(dataKey, DataKeyWrapper.Unwrap(kek, wrapped, "backup-1"));
        Assert.Equal("DataKeyUnwrapFailed", Assert.Throws<BackupKeyException>(() => DataKeyWrapper.Unwrap(RandomNumberGenerator.GetBytes(32), wrapped, "backup-1")).ErrorId);
        Assert.Equal("DataKeyUnwrapFailed", Assert.Throws<BackupKeyException>(() => DataKeyWrapper.Unwrap(kek, wrapped, "backup-2")).ErrorId);
    }

    [Fact]
    public void Key_ids_are_derived_from_the_key_and_the_ring_encrypts_with_the_newest()
    {
        var material = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(BackupKey.FromBase64(material, "a").Id, BackupKey.FromBase64(material, "b").Id);
        Assert.NotEqual(BackupKey.FromBase64(material, "a").Id, BackupKey.Generate().Id);
        Assert.Equal("KeyMalformed", Assert.Throws<BackupKeyException>(() => BackupKey.FromBase64("c2hvcnQ=", "test")).ErrorId);

        var ring = new BackupKeyRing();
        var old = BackupKey.FromBase64(material, "old", DateTimeOffset.UtcNow.AddDays(-30));
        var fresh = BackupKey.FromBase64(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), "new", DateTimeOffset.UtcNow);
        ring.Add(fresh);
        ring.Add(old);
        Assert.Equal(fresh.Id, ring.Current.Id);
        Assert.Equal(old.Id, ring.Find(old.Id).Id);
        var missing = Assert.Throws<BackupKeyException>(() => ring.Find("k-0000000000000000"));
        Assert.Equal("KeyNotInKeyRing", missing.ErrorId);
        Assert.Contains(fresh.Id, missing.Message);
    }
}
