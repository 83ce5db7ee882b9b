using Microsoft.Extensions.Configuration;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// The local demo's public secrets (infra/env.sh's local-demo-* defaults, the demo's admin key) are refused outside a
/// local demo, as infra/rabbitmq/secrets.sh refuses them: <c>RTD_ALLOW_DEMO_SECRETS=1</c> (infra/demo.sh and
/// infra/test.sh set it) allows them. docs/security.md.
/// </summary>
public static class DemoSecrets
{
    public const string Variable = "RTD_ALLOW_DEMO_SECRETS";

    /// <summary>The admin API key infra/env.sh and `rtd-lab demo` use when RTD_ADMIN_KEY is not set.</summary>
    public const string AdminKey = "local-demo-admin-key";

    public static bool Allowed(IConfiguration configuration) => configuration[Variable] == "1";

    public static bool Allowed() => Environment.GetEnvironmentVariable(Variable) == "1";
}
