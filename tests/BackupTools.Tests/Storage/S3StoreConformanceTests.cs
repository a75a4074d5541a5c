using BackupTools.Core.Storage;
using BackupTools.Core.Storage.S3;

namespace BackupTools.Tests.Storage;

/// <summary>The conformance suite on S3 (fauxqs), in a bucket of its own with a key prefix.</summary>
public sealed class S3StoreConformanceTests : StoreConformanceTests
{
    private readonly S3TestBucket _bucket = new();
    private readonly S3BackupStore _store;

    public S3StoreConformanceTests()
    {
        _store = new S3BackupStore(S3Location.Parse(_bucket.Uri("conformance/repo")), new StorageCredential("test", "test"));
    }

    protected override IBackupStore Store => _store;

    [Fact]
    public void Keys_live_under_the_prefix_and_nothing_is_left_outside_it()
    {
        Store.Replace("repository.json", "{}"u8);
        Assert.All(_bucket.AllKeys(), k => Assert.StartsWith("conformance/repo/", k));
        Assert.Contains("conformance/repo/repository.json", _bucket.AllKeys());
    }

    public override void Dispose()
    {
        _store.Dispose();
        _bucket.Dispose();
    }
}
