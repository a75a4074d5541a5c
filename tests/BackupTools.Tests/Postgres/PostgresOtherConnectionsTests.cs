using BackupTools.Core.Engines.Postgres;
using BackupTools.Tests.Servers;
using Npgsql;

namespace BackupTools.Tests.Postgres;

/// <summary>What counts as "in use" before Restore-Postgres replaces a database (real server).</summary>
[Collection("servers")]
public sealed class PostgresOtherConnectionsTests : IDisposable
{
    private readonly PgTestDatabase _db = new(seed: false);

    [Fact]
    public async Task A_session_that_closes_within_the_grace_second_is_not_counted_and_one_that_stays_is()
    {
        using var maintenance = new NpgsqlConnection(TestServers.Postgres.ConnectionString("postgres"));
        maintenance.Open();
        var leaving = new NpgsqlConnection(TestServers.Postgres.ConnectionString(_db.Name));
        leaving.Open();
        // Closes 300 ms from now: a check that believed its first count would say 1.
        var closing = Task.Delay(300).ContinueWith(_ => leaving.Dispose());
        Assert.Equal(0, PostgresInspector.OtherConnections(maintenance, _db.Name));
        await closing;

        using var staying = new NpgsqlConnection(TestServers.Postgres.ConnectionString(_db.Name));
        staying.Open();
        Assert.Equal(1, PostgresInspector.OtherConnections(maintenance, _db.Name));
    }

    public void Dispose() => _db.Dispose();
}
