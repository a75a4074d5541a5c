using System.Net.Http;
using System.Net.Sockets;

namespace BackupTools.Core.Alerts;

/// <summary>
/// How often a channel is tried: up to MaxTries, waiting FirstDelay, then twice as long each time — and never
/// past the channel's timeout. Only failures that another try can fix are retried.
/// </summary>
public sealed record AlertRetry(int MaxTries, TimeSpan FirstDelay)
{
    /// <summary>4 tries over 0.5 + 1 + 2 s of waiting: rides out a dropped connection or a receiver restarting.</summary>
    public static readonly AlertRetry Default = new(4, TimeSpan.FromMilliseconds(500));

    public TimeSpan DelayBefore(int attempt) => attempt <= 1 ? TimeSpan.Zero : FirstDelay * Math.Pow(2, attempt - 2);

    /// <summary>Connection refused, reset or cut before the answer ended, a 5xx/408/429 or an SMTP 4xx; not a wrong token, URL or certificate.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        AlertDeliveryException delivery => delivery.Transient,
        HttpRequestException http => http.StatusCode is null || (int)http.StatusCode >= 500
            ? e.InnerException is not System.Security.Authentication.AuthenticationException
            : false,
        IOException or SocketException or TimeoutException => e.InnerException is not System.Security.Authentication.AuthenticationException,
        _ => false,
    };
}
