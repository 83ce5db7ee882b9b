using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RealTimeDistributor.Distributor.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddReasonCodesAndTeams : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "reasoncode",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    peripheral_id = table.Column<long>(type: "bigint", nullable: false),
                    code = table.Column<int>(type: "integer", nullable: false),
                    text = table.Column<string>(type: "text", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_reasoncode", x => x.id);
                    table.ForeignKey(
                        name: "FK_reasoncode_peripheral_peripheral_id",
                        column: x => x.peripheral_id,
                        principalTable: "peripheral",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "team",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    peripheral_id = table.Column<long>(type: "bigint", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_team", x => x.id);
                    table.ForeignKey(
                        name: "FK_team_peripheral_peripheral_id",
                        column: x => x.peripheral_id,
                        principalTable: "peripheral",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "teammember",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    team_id = table.Column<long>(type: "bigint", nullable: false),
                    agent_id = table.Column<long>(type: "bigint", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_teammember", x => x.id);
                    table.ForeignKey(
                        name: "FK_teammember_agent_agent_id",
                        column: x => x.agent_id,
                        principalTable: "agent",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_teammember_team_team_id",
                        column: x => x.team_id,
                        principalTable: "team",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "teamsupervisor",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    team_id = table.Column<long>(type: "bigint", nullable: false),
                    agent_id = table.Column<long>(type: "bigint", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_teamsupervisor", x => x.id);
                    table.ForeignKey(
                        name: "FK_teamsupervisor_agent_agent_id",
                        column: x => x.agent_id,
                        principalTable: "agent",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_teamsupervisor_team_team_id",
                        column: x => x.team_id,
                        principalTable: "team",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_reasoncode_peripheral_id_code",
                table: "reasoncode",
                columns: new[] { "peripheral_id", "code" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_team_name",
                table: "team",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_team_peripheral_id",
                table: "team",
                column: "peripheral_id");

            migrationBuilder.CreateIndex(
                name: "IX_teammember_agent_id",
                table: "teammember",
                column: "agent_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_teammember_team_id",
                table: "teammember",
                column: "team_id");

            migrationBuilder.CreateIndex(
                name: "IX_teamsupervisor_agent_id",
                table: "teamsupervisor",
                column: "agent_id");

            migrationBuilder.CreateIndex(
                name: "IX_teamsupervisor_team_id_agent_id",
                table: "teamsupervisor",
                columns: new[] { "team_id", "agent_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "reasoncode");

            migrationBuilder.DropTable(
                name: "teammember");

            migrationBuilder.DropTable(
                name: "teamsupervisor");

            migrationBuilder.DropTable(
                name: "team");
        }
    }
}
