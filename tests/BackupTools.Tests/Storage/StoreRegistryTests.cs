using System.Collections.Concurrent;
using BackupTools.Core.Audit;
using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Replication;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Storage;

/// <summary>
/// The store registry and the lifetime of what it opens (issue 15): an operation opens its repository once, its audit
/// entries reuse it, and every store opened is disposed — before, each audit entry opened the repository again and
/// no store was ever disposed (an S3 client left behind per entry). Counted through a registered backend.
/// </summary>
public sealed class StoreRegistryTests : IDisposable
{
    private readonly CountingBackend _counting = CountingBackend.Registered;
    private readonly TempDir _temp = new();
    private readonly string _cell;

    public StoreRegistryTests()
    {
        _cell = _temp.Sub("cell");
        Directory.CreateDirectory(_cell);
        File.WriteAllText(Path.Combine(_cell, "a.txt"), "hello");
    }

    [Fact]
    public void A_backup_opens_its_repository_once_for_work_and_audit_and_disposes_it()
    {
        var repository = NewRepository("main");

        var record = new CellBackupOperation(NullObserver.Instance).Run(new CellBackupRequest(repository, "crm", _cell, BackupKind.Full, null, null, TimeSpan.Zero), CancellationToken.None);

        Assert.Equal((1, 1), _counting.OpenedAndDisposed(repository.Location!));
        using var open = new RepositoryReference(Path.Combine(_temp.Path, "main")).Open();
        Assert.Contains(AuditLog.Read(open, null, null, NullObserver.Instance), e => e.Ids.Contains(record.Id));
    }

    [Fact]
    public void A_failed_operation_audits_into_the_repository_it_opened_and_disposes_it()
    {
        var repository = NewRepository("failing");

        Assert.ThrowsAny<BackupToolsException>(() => new CellRestoreOperation(NullObserver.Instance).Run(
            new CellRestoreRequest(repository, null, "20260101T000000Z-crm-directory-ab12", null, _temp.Sub("out"), false, null, TimeSpan.Zero, (_, _) => true), CancellationToken.None));

        Assert.Equal((1, 1), _counting.OpenedAndDisposed(repository.Location!));
    }

    [Fact]
    public void A_copy_disposes_both_repositories()
    {
        var source = NewRepository("source");
        var target = NewRepository("target");
        var record = new CellBackupOperation(NullObserver.Instance).Run(new CellBackupRequest(source, "crm", _cell, BackupKind.Full, null, null, TimeSpan.Zero), CancellationToken.None);

        new CopyOperation(NullObserver.Instance).Run(new CopyRequest(source, record.Id, target, TimeSpan.Zero, (_, _) => true), CancellationToken.None);

        Assert.Equal((2, 2), _counting.OpenedAndDisposed(source.Location!));
        Assert.Equal((1, 1), _counting.OpenedAndDisposed(target.Location!));
    }

    [Fact]
    public void An_unknown_scheme_names_every_backend_and_never_the_user_info()
    {
        var error = Assert.Throws<BackupInputException>(() => new RepositoryReference("ftp://user:Pa55word@host/x").OpenStore());

        Assert.Equal("RepositorySchemeUnsupported", error.ErrorId);
        Assert.DoesNotContain("Pa55word", error.Message);
        Assert.Contains("a folder path, a file:// URI", error.RecommendedAction);
        Assert.Contains("s3://bucket/prefix", error.RecommendedAction);
        Assert.Throws<ArgumentException>(() => StoreRegistry.Register(new CountingBackend("S3")));
    }

    [Fact]
    public void Abilities_are_found_through_retries_but_not_through_a_dry_run()
    {
        var local = new LocalBackupStore(_temp.Sub("abilities"));

        Assert.Same(local, new RetryingBackupStore(local, RetryPolicy.None).Ability<IPreparableStore>());
        Assert.Null(new DryRunBackupStore(local).Ability<IPreparableStore>());
    }

    private RepositoryReference NewRepository(string name)
    {
        var path = Path.Combine(_temp.Path, name);
        using (BackupRepository.Initialize(new LocalBackupStore(path), new RepositoryDefaults(), formatVersion: 1)) { }
        return new RepositoryReference($"{CountingBackend.Scheme}://{path}");
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Local folders under "counting://", counting stores opened and disposed per location.</summary>
    private sealed class CountingBackend(string scheme) : IStoreBackend
    {
        public const string Scheme = "counting";
        public static CountingBackend Registered { get; } = Register();

        private readonly ConcurrentDictionary<string, (int Opened, int Disposed)> _counts = new();

        public IReadOnlyCollection<string> Schemes { get; } = [scheme];
        public string Usage => $"{scheme}://<path> (tests)";

        private static CountingBackend Register()
        {
            var backend = new CountingBackend(Scheme);
            StoreRegistry.Register(backend);
            return backend;
        }

        public (int Opened, int Disposed) OpenedAndDisposed(string location) => _counts.GetValueOrDefault(location);

        public IBackupStore Open(string location, StorageCredential? credential, StoreOptions options)
        {
            _counts.AddOrUpdate(location, (1, 0), (_, c) => (c.Opened + 1, c.Disposed));
            return new CountedStore(new LocalBackupStore(location[(Scheme.Length + 3)..]), () => _counts.AddOrUpdate(location, (0, 1), (_, c) => (c.Opened, c.Disposed + 1)));
        }
    }

    private sealed class CountedStore(IBackupStore inner, Action disposed) : IBackupStore
    {
        public string Location => inner.Location;
        public PendingObject OpenWrite(string key, CancellationToken cancel = default) => inner.OpenWrite(key, cancel);
        public Stream OpenRead(string key, CancellationToken cancel = default) => inner.OpenRead(key, cancel);
        public bool Exists(string key, CancellationToken cancel = default) => inner.Exists(key, cancel);
        public long? SizeOf(string key, CancellationToken cancel = default) => inner.SizeOf(key, cancel);
        public IEnumerable<string> List(string prefix, CancellationToken cancel = default) => inner.List(prefix, cancel);
        public void Delete(string key, CancellationToken cancel = default) => inner.Delete(key, cancel);
        public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.TryCreateExclusive(key, content, cancel);
        public bool DeleteIfUnchanged(string key, Func<byte[], bool> stillTheSame, CancellationToken cancel = default) => inner.DeleteIfUnchanged(key, stillTheSame, cancel);
        public DateTimeOffset? ModifiedAt(string key, CancellationToken cancel = default) => inner.ModifiedAt(key, cancel);
        public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.Replace(key, content, cancel);
        public T? Ability<T>() where T : class => this as T ?? inner.Ability<T>();
        public void Dispose() { disposed(); inner.Dispose(); }
    }
}
