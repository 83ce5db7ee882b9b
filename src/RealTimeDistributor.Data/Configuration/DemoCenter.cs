namespace RealTimeDistributor.Data.Configuration;

/// <summary>
/// The contact center `rtd-lab demo` loads (and the simulation's service-level test runs on): per site a peripheral (the
/// ACD of a city) with its service and five skill groups of different sizes; named agents spread evenly over the
/// sites, each in a primary skill group of its site and, two in five, a second one; call types shared by every site.
/// The same sizes always give the same rows, listed parents first (the order a batch needs).
/// </summary>
public static class DemoCenter
{
    public const int DefaultAgents = 400;

    /// <summary>Skill groups of every site and their share of its agents (primary memberships), in %.</summary>
    private static readonly (string Name, int Share)[] Groups = [("Sales", 30), ("Support", 30), ("Billing", 15), ("Technical", 15), ("Retention", 10)];

    private static readonly (string Name, int ServiceLevelSeconds)[] CallTypes =
    [
        ("Sales - new order", 20), ("Sales - upgrade", 20), ("Support - outage", 30), ("Support - how to", 30),
        ("Billing - invoice", 20), ("Billing - payment", 20), ("Technical - device", 30), ("Retention - cancel", 15),
    ];

    /// <summary>The not-ready reasons of every ACD, codes 1-5 (the ones the simulation's breaks use), then two it never sends.</summary>
    private static readonly string[] Reasons = ["Break", "Lunch", "Meeting", "Training", "Coaching", "Personal", "Outbound campaign"];

    /// <summary>The most agents in a team: a site's agents are cut into as few teams as keep each at most this (so 10 to 20 from a site of 10 agents on).</summary>
    private const int TeamSize = 20;

    private static readonly string[] Cities = ["Madrid", "Lisbon", "Dublin", "Warsaw", "Milan", "Lyon", "Porto", "Vienna"];

    private static readonly string[] FirstNames =
    [
        "Ana", "Bruno", "Carla", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Luis", "Marta", "Nico",
        "Olga", "Pablo", "Rosa", "Sven", "Tania", "Umar", "Vera", "Walter", "Ximena", "Yusuf", "Zoe", "Aisha", "Bilal", "Chloe",
        "Diego", "Emma", "Farid", "Giulia", "Hanna", "Igor", "Julia", "Kenji", "Lena", "Mateo", "Nora", "Oscar",
    ];

    private static readonly string[] LastNames =
    [
        "Lima", "Garcia", "Novak", "Rossi", "Murphy", "Silva", "Dubois", "Keller", "Kowalski", "Moreau", "Costa", "Weber",
        "Fischer", "Romero", "Horvat", "Jansen", "Berg", "Ortiz", "Santos", "Nowak", "Ferrari", "Byrne", "Martin", "Lopez",
        "Schmid", "Dias", "Bauer", "Kelly", "Conti", "Vidal", "Sousa", "Marino", "Walsh", "Gomez", "Wagner", "Petit",
        "Ruiz", "Lehmann", "Greco", "Nunes",
    ];

    /// <summary>
    /// Peripheral and service <c>s</c>, skill groups <c>100 s + g</c>, reason codes <c>100 s + code</c>, agents from 10001,
    /// members from 1 (s, g from 1); per site teams of at most <see cref="TeamSize"/> agents (in id order), each supervised by
    /// its first member (a team lead who also takes calls), teams and their rows numbered from 1.
    /// </summary>
    public static List<ConfigRow> Build(int agents, int sites)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sites, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(agents, sites);
        var random = new Random(agents * 31 + sites);
        var peripherals = Enumerable.Range(1, sites)
            .Select(s => new Peripheral { Id = s, Name = $"ACD {City(s)}", Kind = "acd" }).ToList();
        // every group colours a queue of 10 / 25 calls and a wait of 30 / 60 s; Retention (callers about to leave) aims
        // higher, green from 90 %, and its agents' not ready turns amber at 4 min, red at 8 (docs/wallboard.md)
        var groups = peripherals.SelectMany(p => Groups.Select((g, i) => new SkillGroup
        {
            Id = (100 * p.Id) + i + 1,
            Name = $"{g.Name} {City(p.Id)}",
            PeripheralId = p.Id,
            QueueAmber = 10,
            QueueRed = 25,
            LongestWaitAmberSeconds = 30,
            LongestWaitRedSeconds = 60,
            ServiceLevelGreen = g.Name == "Retention" ? 90 : 0,
            ServiceLevelAmber = g.Name == "Retention" ? 80 : 0,
            NotReadyAmberSeconds = g.Name == "Retention" ? 240 : 0,
            NotReadyRedSeconds = g.Name == "Retention" ? 480 : 0,
        })).ToList();
        var people = new List<Agent>(agents);
        var members = new List<SkillGroupMember>();
        for (var n = 0; n < agents; n++)
        {
            var site = 1 + (n % sites);
            var agent = new Agent { Id = 10_001 + n, Name = Name(n), PeripheralId = site };
            people.Add(agent);
            var primary = Draw(random, Groups.Length, -1);
            members.Add(new SkillGroupMember { Id = members.Count + 1, AgentId = agent.Id, SkillGroupId = (100 * site) + primary + 1 });
            if (random.Next(5) < 2)
            {
                members.Add(new SkillGroupMember { Id = members.Count + 1, AgentId = agent.Id, SkillGroupId = (100 * site) + Draw(random, Groups.Length, primary) + 1 });
            }
        }
        return
        [
            .. peripherals,
            .. peripherals.SelectMany(p => Reasons.Select((text, i) => new ReasonCode { Id = (100 * p.Id) + i + 1, PeripheralId = p.Id, Code = i + 1, Text = text })),
            .. groups,
            .. people,
            .. members,
            .. Teams(peripherals, people),
            .. CallTypes.Select((c, i) => new CallType { Id = i + 1, Name = c.Name, ServiceLevelSeconds = c.ServiceLevelSeconds }),
            .. peripherals.Select(p => new Service { Id = p.Id, Name = $"{City(p.Id)} inbound", PeripheralId = p.Id }),
        ];
    }

    /// <summary>Each site's agents cut, in id order, into teams of 10 to 20 (fewer when the site has fewer); the first member supervises.</summary>
    private static IEnumerable<ConfigRow> Teams(List<Peripheral> peripherals, List<Agent> people)
    {
        var teams = new List<Team>();
        var members = new List<TeamMember>();
        var supervisors = new List<TeamSupervisor>();
        foreach (var peripheral in peripherals)
        {
            var site = people.Where(a => a.PeripheralId == peripheral.Id).ToList();
            var count = Math.Max(1, (site.Count + TeamSize - 1) / TeamSize);
            for (var t = 0; t < count; t++)
            {
                var team = new Team { Id = teams.Count + 1, Name = $"{City(peripheral.Id)} team {t + 1}", PeripheralId = peripheral.Id };
                teams.Add(team);
                var agents = site.Skip(site.Count * t / count).Take((site.Count * (t + 1) / count) - (site.Count * t / count)).ToList();
                members.AddRange(agents.Select(a => new TeamMember { Id = members.Count + 1, TeamId = team.Id, AgentId = a.Id }));
                supervisors.Add(new TeamSupervisor { Id = supervisors.Count + 1, TeamId = team.Id, AgentId = agents[0].Id });
            }
        }
        return [.. teams, .. members, .. supervisors];
    }

    /// <summary>The default names of <paramref name="count"/> sites: site-a, site-b, ...</summary>
    public static string[] SiteNames(int count) => [.. Enumerable.Range(0, count).Select(i => i < 26 ? $"site-{(char)('a' + i)}" : $"site-{i + 1}")];

    private static string City(long site) => site <= Cities.Length ? Cities[site - 1] : $"Site {site}";

    /// <summary>Distinct names for the first 1,600 agents, then numbered.</summary>
    private static string Name(int n)
    {
        var first = FirstNames[n % FirstNames.Length];
        var last = LastNames[((n / FirstNames.Length) + n) % LastNames.Length];
        var round = n / (FirstNames.Length * LastNames.Length);
        return round == 0 ? $"{first} {last}" : $"{first} {last} {round + 1}";
    }

    /// <summary>A skill group index by the groups' shares, other than <paramref name="except"/>.</summary>
    private static int Draw(Random random, int count, int except)
    {
        var total = Groups.Where((_, i) => i != except).Sum(g => g.Share);
        var draw = random.Next(total);
        for (var i = 0; i < count; i++)
        {
            if (i == except)
            {
                continue;
            }
            if (draw < Groups[i].Share)
            {
                return i;
            }
            draw -= Groups[i].Share;
        }
        throw new InvalidOperationException("unreachable");
    }
}
