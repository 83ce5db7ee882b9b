namespace RealTimeDistributor.Hosting;

/// <summary>A service the process needs could not be reached at start; names the host and the keys that set it.</summary>
public sealed class ServiceUnreachableException(string service, string endpoint, string keys, Exception inner, string? hint = null)
    : Exception($"Cannot reach {service} at {endpoint} (set by {keys}): {inner.GetBaseException().Message}{(hint is null ? "" : $" {hint}")}", inner);
