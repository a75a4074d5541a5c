using BackupTools.Core.Operations;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// Restore-MySql -Force: ends the other sessions whose current database is the one being replaced, so an open
/// transaction there does not hold the swap's RENAME TABLE until it times out (MySqlDatabaseInUse). Like
/// Restore-Postgres -Force, it needs the privilege to see and kill other users' sessions (PROCESS and
/// CONNECTION ADMIN / SUPER); sessions it cannot see are left alone.
/// </summary>
internal static class MySqlSessions
{
    public static void EndUsersOf(MySqlTarget target, string database, IOperationObserver observer)
    {
        using var connection = MySqlInspector.Open(target, null);
        var sessions = MySqlInspector.Query(connection,
            "select id from information_schema.processlist where db = @db and id <> connection_id()", r => Convert.ToInt64(r.GetValue(0)), ("db", database));
        foreach (var id in sessions)
        {
            try
            {
                using var kill = new MySqlCommand($"kill connection {id}", connection);
                kill.ExecuteNonQuery();
            }
            catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.NoSuchThread) { /* ended meanwhile */ }
        }
        if (sessions.Count > 0) observer.Warning($"-Force: ended {sessions.Count} session(s) using database '{database}' before replacing it.");
    }
}
