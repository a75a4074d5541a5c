using System.Net;
using System.Net.Sockets;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// -RestoreTest for a base backup: Restore-PostgresCluster's own recovery — the base backup unpacked and checked with
/// pg_verifybackup, all archived WAL of its cell staged and replayed to its end — into a throwaway data directory (its
/// tablespaces beside it), on a
/// free port; the promoted server must answer a query; then it is stopped and the folder removed.
/// </summary>
internal sealed class PgBaseRestoreTest : IRestoreTest
{
    public (bool Passed, TimeSpan? Duration) Run(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys, RestoreTestTarget target,
        List<IntegrityCheck> checks, IOperationObserver observer, CancellationToken cancel)
    {
        if (OperatingSystem.IsWindows())
        {
            checks.Add(new IntegrityCheck("restore-test", true, "skipped: a PostgreSQL data directory is restored on Linux/macOS only"));
            return (true, null);
        }
        // 0755: when BackupTools runs as root the server runs as postgres, who must reach the data directory inside.
        var folder = System.IO.Directory.CreateTempSubdirectory("bt-pg-restoretest-");
        try
        {
            File.SetUnixFileMode(folder.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            var request = new PgPitrRestoreRequest(new RepositoryReference(repository.Location), manifest.Cell, null, manifest.Id, Path.Combine(folder.FullName, "data"),
                FreePort(), KeepRunning: false, null, target.ToolPath, keys, (_, _) => true,
                // Tablespaces into the throwaway folder too: their original locations belong to the live cluster.
                TablespaceMap: PgTablespace.From(manifest.EngineInfo).ToDictionary(t => t.Oid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    t => Path.Combine(folder.FullName, $"tablespace-{t.Oid}")));
            var result = new PgPitrRestoreOperation(observer).RunOn(repository, request, cancel)!;
            checks.Add(new IntegrityCheck("restore-test", true,
                $"recovered base backup {manifest.Id} + {result.WalFiles} archived WAL file(s){(result.WalFiles > 0 ? $" ({result.FirstWal} … {result.LastWal})" : "")} " +
                $"to the end of the archive{(result.RecoveredTo is { } t ? $" (last commit {t:u})" : "")} on a throwaway server in {result.Duration.TotalSeconds:0.0} s; it answered"));
            return (true, result.Duration);
        }
        catch (BackupToolsException e)
        {
            return RestoreTester.Failed(checks, e);
        }
        finally
        {
            try { folder.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A loopback port nobody listens on, below Linux's ephemeral range so no client socket takes it before the server binds it.</summary>
    private static int FreePort()
    {
        for (var i = 0; i < 50; i++)
        {
            var port = Random.Shared.Next(20000, 32000);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException) { }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
