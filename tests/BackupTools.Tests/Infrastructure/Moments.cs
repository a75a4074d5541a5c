namespace BackupTools.Tests.Infrastructure;

/// <summary>Points in time for point-in-time restore tests.</summary>
public static class Moments
{
    /// <summary>The first whole second after now, waited past: a moment no commit before or after it shares.</summary>
    public static DateTimeOffset NextWholeSecond()
    {
        var now = DateTimeOffset.UtcNow;
        var target = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddSeconds(1);
        Thread.Sleep(target - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300));
        return target;
    }
}
