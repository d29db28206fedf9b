-- The admin console's overview counts hub commands by state: without this, the only indexes of
-- hub_commands start with hub_id, and a count per state reads the whole table.
CREATE INDEX "hub_commands_state_idx" ON "hub_commands"("state");
