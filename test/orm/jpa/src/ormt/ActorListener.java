// ActorListener: tells the orm_triggers triggers who acts, once per database
// transaction, through EclipseLink's own session event (doc/orm/jpa.md).
package ormt;

import java.util.Arrays;
import org.eclipse.persistence.queries.DataReadQuery;
import org.eclipse.persistence.queries.SQLCall;
import org.eclipse.persistence.sessions.SessionEvent;
import org.eclipse.persistence.sessions.SessionEventAdapter;

// recipe:begin actor-listener
// Registered in persistence.xml (eclipselink.session-event-listener).  The
// application sets ActorListener.ACTOR (and CONTEXT, JSON) per request,
// e.g. in a servlet filter; every database transaction EclipseLink begins
// on that thread then starts with set_config(..., true), which lasts until
// its COMMIT or ROLLBACK.
public class ActorListener extends SessionEventAdapter {
    public static final ThreadLocal<String> ACTOR = new ThreadLocal<>();
    public static final ThreadLocal<String> CONTEXT = new ThreadLocal<>();

    @Override
    public void postBeginTransaction(SessionEvent event) {
        if (ACTOR.get() == null && CONTEXT.get() == null)
            return;
        SQLCall call = new SQLCall("SELECT set_config('orm_triggers.actor', coalesce(#actor, ''), true), "
                                   + "set_config('orm_triggers.context', coalesce(#context, ''), true)");
        DataReadQuery query = new DataReadQuery(call);
        query.addArgument("actor", String.class);
        query.addArgument("context", String.class);
        event.getSession().executeQuery(query, Arrays.asList((Object) ACTOR.get(), CONTEXT.get()));
    }
}
// recipe:end actor-listener
