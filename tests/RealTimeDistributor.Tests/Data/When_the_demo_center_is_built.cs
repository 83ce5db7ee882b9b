using RealTimeDistributor.Data.Configuration;

namespace RealTimeDistributor.Tests.Data;

/// <summary>The demo's center names its not-ready reasons and cuts every site's agents into supervised teams of 10 to 20.</summary>
public sealed class When_the_demo_center_is_built
{
    [Theory]
    [InlineData(400, 2)]
    [InlineData(2000, 4)]
    [InlineData(45, 2)]
    public void Should_put_every_agent_in_one_team_of_its_site_with_a_supervisor(int agents, int sites)
    {
        var center = DemoCenter.Build(agents, sites);
        var people = center.OfType<Agent>().ToDictionary(a => a.Id);
        var teams = center.OfType<Team>().ToDictionary(t => t.Id);
        var members = center.OfType<TeamMember>().ToList();

        Assert.Equal(people.Keys.Order(), members.Select(m => m.AgentId).Order());
        Assert.All(members, m => Assert.Equal(teams[m.TeamId].PeripheralId, people[m.AgentId].PeripheralId));
        Assert.All(members.GroupBy(m => m.TeamId), team => Assert.InRange(team.Count(), 10, 20));
        Assert.Equal(teams.Count, teams.Values.Select(t => t.Name).Distinct().Count());
        var supervisors = center.OfType<TeamSupervisor>().ToList();
        Assert.Equal(teams.Keys.Order(), supervisors.Select(s => s.TeamId).Order());
        Assert.All(supervisors, s => Assert.Contains(members, m => m.TeamId == s.TeamId && m.AgentId == s.AgentId));
    }

    [Fact]
    public void Should_give_every_skill_group_thresholds_the_center_accepts_and_retention_a_higher_goal()
    {
        var groups = DemoCenter.Build(400, 2).OfType<SkillGroup>().ToList();

        Assert.All(groups, g => Assert.Null(RealTimeDistributor.Central.ChangeLog.RowRules.Check(g)));
        Assert.All(groups, g => Assert.Equal((10, 25, 30, 60), (g.QueueAmber, g.QueueRed, g.LongestWaitAmberSeconds, g.LongestWaitRedSeconds)));
        Assert.All(groups, g => Assert.Equal(g.Name.StartsWith("Retention", StringComparison.Ordinal) ? (90, 480) : (0, 0), (g.ServiceLevelGreen, g.NotReadyRedSeconds)));
    }

    [Fact]
    public void Should_name_the_reasons_the_simulated_breaks_use_on_every_peripheral()
    {
        var center = DemoCenter.Build(400, 2);

        foreach (var peripheral in center.OfType<Peripheral>())
        {
            var reasons = center.OfType<ReasonCode>().Where(r => r.PeripheralId == peripheral.Id).ToDictionary(r => r.Code, r => r.Text);
            Assert.Equal(["Break", "Lunch", "Meeting", "Training", "Coaching"], Enumerable.Range(1, 5).Select(c => reasons[c]));
        }
        // the rows come parents first, the order a batch needs
        var order = ConfigTables.All.Select(t => t.Type).ToList();
        var positions = center.Select(r => order.IndexOf(r.GetType())).ToList();
        Assert.Equal(positions.Order(), positions);
    }
}
