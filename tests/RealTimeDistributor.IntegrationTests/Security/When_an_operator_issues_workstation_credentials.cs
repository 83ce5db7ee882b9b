using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RealTimeDistributor.Cli;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.IntegrationTests.Security;

/// <summary>
/// `rtd workstation add|list|remove` against the real broker: the issued user may use its own queue and nothing of
/// another workstation's; once removed it cannot log in; a password chosen for it is refused outside a local demo.
/// </summary>
public sealed class When_an_operator_issues_workstation_credentials : IAsyncLifetime
{
    private readonly Broker _broker = new();
    private readonly string _site = $"t{RtdSystem.NewId()}-a";

    private string VirtualHost => Topology.Site.VirtualHost(_site);

    private string Management => $"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}";

    public async Task InitializeAsync()
    {
        await _broker.CreateVirtualHostAsync(VirtualHost);
        await _broker.DeclareDefinitionsAsync(null, [_site]);
    }

    public async Task DisposeAsync()
    {
        await Rtd("remove", _site, "ws1");
        await _broker.DeleteVirtualHostAsync(VirtualHost);
        _broker.Dispose();
    }

    [Fact]
    public async Task Should_issue_a_user_with_rights_on_its_own_names_only_and_revoke_it()
    {
        var (code, password) = await Rtd("add", _site, "ws1");
        Assert.Equal(0, code);
        Assert.Matches("^[0-9a-f]{48}$", password);
        Assert.Contains(BrokerUsers.Workstation(_site, "ws1"), (await Rtd("list", _site)).Output.Split('\n'));

        var factory = new ConnectionFactory
        {
            HostName = TestSettings.RabbitHost,
            Port = TestSettings.RabbitPort,
            UserName = BrokerUsers.Workstation(_site, "ws1"),
            Password = password,
            VirtualHost = VirtualHost,
            AutomaticRecoveryEnabled = false,
        };
        await using (var connection = await factory.CreateConnectionAsync())
        {
            await using (var own = await connection.CreateChannelAsync())
            {
                await own.QueueDeclareAsync(Topology.Site.ClientQueue(_site, "ws1"), durable: false, exclusive: true, autoDelete: true);
                await own.ExchangeDeclarePassiveAsync(Topology.Site.ConfigExchange(_site));
                await own.QueueBindAsync(Topology.Site.ClientQueue(_site, "ws1"), Topology.Site.ConfigExchange(_site), "agent.*");
            }
            await using var other = await connection.CreateChannelAsync();
            var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() =>
                other.QueueDeclareAsync(Topology.Site.ClientQueue(_site, "ws2"), durable: false, exclusive: true, autoDelete: true));
            Assert.Equal(403, refused.ShutdownReason!.ReplyCode);
        }

        Assert.Equal(0, (await Rtd("remove", _site, "ws1")).Code);
        await Assert.ThrowsAsync<BrokerUnreachableException>(() => factory.CreateConnectionAsync());
        Assert.DoesNotContain(BrokerUsers.Workstation(_site, "ws1"), (await Rtd("list", _site)).Output.Split('\n'));
    }

    [Fact]
    public async Task Should_refuse_a_chosen_password_outside_a_local_demo()
    {
        // issue 24, item 7: one password given to every workstation would undo their isolation
        var (code, output, errors) = await CommandRuns.RunAsync("rtd", ["workstation", "add", _site, "ws1", "--workstation-password", "shared-secret",
            "--management", Management, "--user", TestSettings.RabbitAdminUser, "--password", TestSettings.RabbitAdminPassword]);
        Assert.Equal(2, code);
        Assert.Contains("--workstation-password", Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        Assert.Empty(output);

        var script = new ProcessStartInfo("bash", [Repository.PathOf("infra/rabbitmq/workstation.sh"), "add", _site, "ws1"]) { RedirectStandardError = true };
        script.Environment.Remove(DemoSecrets.Variable);
        script.Environment["RTD_RABBITMQ_WORKSTATION_PASSWORD"] = "shared-secret";
        using var process = Process.Start(script)!;
        var refusal = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(64, process.ExitCode);
        Assert.Contains("RTD_RABBITMQ_WORKSTATION_PASSWORD", refusal, StringComparison.Ordinal);

        Assert.DoesNotContain(BrokerUsers.Workstation(_site, "ws1"), (await Rtd("list", _site)).Output.Split('\n'));
    }

    private async Task<(int Code, string Output)> Rtd(params string[] args)
    {
        using var writer = new StringWriter();
        try
        {
            var code = await WorkstationCommand.RunAsync(Options.Parse([.. args, "--management", Management,
                "--user", TestSettings.RabbitAdminUser, "--password", TestSettings.RabbitAdminPassword]), writer);
            return (code, writer.ToString().Trim());
        }
        catch (CommandFailedException exception)
        {
            return (1, exception.Message);
        }
    }
}
