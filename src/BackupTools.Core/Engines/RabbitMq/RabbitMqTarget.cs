using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.RabbitMq;

/// <summary>A broker's management HTTP API (http(s)://host:15672), the user it is called as, and optionally one vhost.</summary>
public sealed record RabbitMqTarget(Uri ManagementUrl, string User, string Password, string? Vhost)
{
    public static RabbitMqTarget From(string? managementUrl, string? user, string? password, string? vhost)
    {
        var url = string.IsNullOrEmpty(managementUrl) ? "http://localhost:15672" : managementUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0)
            throw new BackupInputException("RabbitMqUrlInvalid", "ManagementUrl", $"'{url}' is not an http(s):// URL of the management API without credentials.",
                "Pass e.g. -ManagementUrl http://broker:15672 and the user with -Credential.");
        if (vhost is { Length: 0 }) throw new BackupInputException("RabbitMqVhostInvalid", "Vhost", "the vhost name is empty.", "Pass a vhost name (e.g. /), or omit -Vhost for the whole broker.");
        return new RabbitMqTarget(uri, string.IsNullOrEmpty(user) ? "guest" : user, password ?? "guest", vhost);
    }

    public string Describe() => $"{ManagementUrl.GetLeftPart(UriPartial.Authority)}{(Vhost is null ? "" : " vhost " + Vhost)}";

    public string DefaultCell() => $"rabbitmq-{ManagementUrl.Host}-{ManagementUrl.Port}" + (Vhost is null ? "" : "-" + (Vhost == "/" ? "root" : Vhost.Trim('/').Replace('/', '-')));

    public override string ToString() => Describe();
}
