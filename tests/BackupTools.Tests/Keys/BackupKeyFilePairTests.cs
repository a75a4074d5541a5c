using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Keys;

/// <summary>BackupKeyFile.WritePair: the private and public key files of New-BackupKey -KeyPair, written as a whole pair or not at all.</summary>
public sealed class BackupKeyFilePairTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupKey _pair = BackupKey.GenerateKeyPair("test");

    private string Private => _temp.Sub("main.key");

    [Fact]
    public void Both_files_are_private_hold_the_two_halves_of_one_pair_and_no_temp_file_is_left()
    {
        var publicPath = BackupKeyFile.DefaultPublicPath(Private);
        BackupKeyFile.WritePair(Private, publicPath, _pair);

        Assert.Equal(_temp.Sub("main.public.key"), publicPath);
        var (privateKey, publicKey) = (BackupKeyFile.Read(Private), BackupKeyFile.Read(publicPath));
        Assert.Equal((BackupKeyKind.KeyPair, _pair.Id), (privateKey.Kind, privateKey.Id));
        Assert.Equal((BackupKeyKind.PublicKey, _pair.Id), (publicKey.Kind, publicKey.Id));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Private));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(publicPath));
        Assert.Equal(["main.key", "main.public.key"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_public_file_that_cannot_be_written_leaves_no_private_file_behind()
    {
        // The public file's temp name (".<name>.<guid>.tmp") is over the 255-byte file-name limit, so writing it fails
        // after every up-front check passed: exactly where writing the private file first would leave half a pair.
        var publicPath = _temp.Sub(new string('p', 230) + ".key");

        Assert.ThrowsAny<IOException>(() => BackupKeyFile.WritePair(Private, publicPath, _pair));

        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void An_existing_public_file_is_refused_before_the_private_file_exists()
    {
        File.WriteAllText(_temp.Sub("main.public.key"), "someone else's");

        var error = Assert.Throws<BackupInputException>(() => BackupKeyFile.WritePair(Private, _temp.Sub("main.public.key"), _pair));

        Assert.Equal("KeyFileExists", error.ErrorId);
        Assert.Equal("PublicKeyPath", error.Parameter);
        Assert.False(File.Exists(Private));
    }

    [Fact]
    public void A_public_path_naming_the_private_file_is_refused_even_with_force_and_the_private_key_survives()
    {
        BackupKeyFile.WritePair(Private, _temp.Sub("main.public.key"), _pair);

        var pairError = Assert.Throws<BackupInputException>(() => BackupKeyFile.WritePair(Private, Private, BackupKey.GenerateKeyPair("other"), force: true));
        var exportError = Assert.Throws<BackupInputException>(() => BackupKeyFile.WritePublicHalf(Private, Private, _pair, force: true));

        Assert.Equal(("KeyPairPathsSame", "KeyPairPathsSame"), (pairError.ErrorId, exportError.ErrorId));
        var kept = BackupKeyFile.Read(Private);
        Assert.Equal((BackupKeyKind.KeyPair, _pair.Id), (kept.Kind, kept.Id));
    }

    public void Dispose() => _temp.Dispose();
}
