using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Storage;

public sealed class LocalStoreConformanceTests : StoreConformanceTests
{
    private readonly TempDir _temp = new();
    private readonly LocalBackupStore _store;

    public LocalStoreConformanceTests() => _store = new LocalBackupStore(_temp.Sub("repo"));

    protected override IBackupStore Store => _store;

    public override void Dispose() => _temp.Dispose();
}
