namespace BackupTools.Core.Engines;

/// <summary>Names for the databases a restore or restore test creates beside the real one.</summary>
public static class ThrowawayDatabase
{
    /// <summary>
    /// database + "__bt_&lt;prefix&gt;_&lt;6 hex&gt;", cut to 63 characters (PostgreSQL's limit, under MySQL's 64):
    /// recognisable as ours (and whose) if a crash leaves one behind.
    /// </summary>
    public static string Name(string prefix, string database)
    {
        var suffix = "__bt_" + prefix + "_" + Guid.NewGuid().ToString("N")[..6];
        return (database.Length + suffix.Length > 63 ? database[..(63 - suffix.Length)] : database) + suffix;
    }
}
